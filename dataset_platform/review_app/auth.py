"""Who is using the review app and what they may do: OpenID Connect sign-in or the single-user local mode.

Two modes, chosen by the app's secrets (``.streamlit/secrets.toml``):
- **OIDC** — an ``[auth]`` section (Streamlit's own ``st.login`` settings: ``redirect_uri``, ``cookie_secret``,
  ``client_id``, ``client_secret``, ``server_metadata_url``) with roles from ``[review_app]``. The reviewer of
  every saved row is the signed-in identity (verified e-mail, else the subject), never a typed name.
- **local** — no ``[auth]`` section: one person on their own machine. Allowed only while the server is bound to
  a loopback address; the reviewer is ``local:<os user>`` with every role.

Roles (each includes the ones below it): ``admin`` (gold labels, settings) > ``reviewer`` (saves reviews) >
``viewer`` (reads). ``[review_app]`` grants them by allow-list (``admins``, ``reviewers``, ``viewers``: e-mails,
subjects, or ``*@domain``) and/or by the provider's groups claim (``groups_claim = "groups"``,
``group_roles = {"election-admins" = "admin"}``). A signed-in user with no role sees a message and nothing else.
"""

from __future__ import annotations

import getpass
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

VIEWER, REVIEWER, ADMIN = "viewer", "reviewer", "admin"
ROLE_ORDER = (VIEWER, REVIEWER, ADMIN)


class AuthConfigError(ValueError):
    """The secrets ask for something inconsistent; the message says what."""


@dataclass(frozen=True)
class Identity:
    """The person behind a session. ``reviewer`` is what review rows record."""

    subject: str
    email: str | None
    name: str | None
    role: str | None
    mode: str  # "oidc" | "local"

    @property
    def reviewer(self) -> str:
        if self.mode == "local":
            return self.subject
        return self.email or self.subject

    def can(self, role: str) -> bool:
        return self.role is not None and ROLE_ORDER.index(self.role) >= ROLE_ORDER.index(role)


@dataclass(frozen=True)
class RolePolicy:
    admins: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    viewers: tuple[str, ...] = ()
    groups_claim: str | None = None
    group_roles: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> RolePolicy:
        settings = dict(settings or {})
        group_roles = dict(settings.get("group_roles") or {})
        bad = {g: r for g, r in group_roles.items() if r not in ROLE_ORDER}
        if bad:
            raise AuthConfigError(f"[review_app] group_roles: unknown role(s) {bad}; use one of {ROLE_ORDER}")

        def names(key: str) -> tuple[str, ...]:
            value = settings.get(key) or ()
            if isinstance(value, str):
                value = [value]
            return tuple(str(v).strip().lower() for v in value if str(v).strip())

        return cls(
            admins=names("admins"),
            reviewers=names("reviewers"),
            viewers=names("viewers"),
            groups_claim=settings.get("groups_claim") or None,
            group_roles=group_roles,
        )

    def role_for(self, claims: Mapping[str, Any]) -> str | None:
        """The highest role any rule grants these ID-token claims, or None."""
        keys = {str(claims.get("sub") or "").lower()}
        email = verified_email(claims)
        if email:
            keys.add(email.lower())
        granted: set[str] = set()
        for role, allowed in ((ADMIN, self.admins), (REVIEWER, self.reviewers), (VIEWER, self.viewers)):
            if any(_matches(entry, keys) for entry in allowed):
                granted.add(role)
        if self.groups_claim:
            for group in _as_list(claims.get(self.groups_claim)):
                if group in self.group_roles:
                    granted.add(self.group_roles[group])
        return max(granted, key=ROLE_ORDER.index) if granted else None


def _matches(entry: str, keys: set[str]) -> bool:
    if entry.startswith("*@"):  # a whole e-mail domain
        return any(k.endswith(entry[1:]) for k in keys if "@" in k)
    return entry in keys


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, Iterable) else []


def verified_email(claims: Mapping[str, Any]) -> str | None:
    """The e-mail claim, unless the provider says it is unverified (then it names no one)."""
    email = claims.get("email")
    if not email or claims.get("email_verified") is False:
        return None
    return str(email)


def oidc_identity(claims: Mapping[str, Any], policy: RolePolicy) -> Identity:
    subject = str(claims.get("sub") or "")
    if not subject:
        raise AuthConfigError("the provider's ID token has no 'sub' claim")
    return Identity(
        subject=subject,
        email=verified_email(claims),
        name=str(claims["name"]) if claims.get("name") else None,
        role=policy.role_for(claims),
        mode="oidc",
    )


def local_identity(os_user: str | None = None) -> Identity:
    user = os_user or getpass.getuser()
    return Identity(subject=f"local:{user}", email=None, name=user, role=ADMIN, mode="local")


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def oidc_configured(secrets: Mapping[str, Any]) -> bool:
    return "auth" in secrets and bool(secrets["auth"])
