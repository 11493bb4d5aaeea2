"""Publishing: gate, unchanged, atomic local versions, load_dataset round trip, Hub push against a fake HfApi.

No network: the Hub boundary is a recording stand-in for huggingface_hub.HfApi.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from dataset_platform.resources.hub import DatasetHub
from dataset_platform.retraining import publishing, splitting
from dataset_platform.retraining.publishing import HubPublisher, LocalHub, publish_version

NOW = dt.datetime(2026, 3, 2, 10, 30, 15, tzinfo=dt.UTC)


def make_splits(directory: Path, n: int = 300, label: str = "urgency", salt: str = "") -> Path:
    df = pd.DataFrame(
        {
            "complaint_id": np.arange(n, dtype="int64"),
            "grievance": [f"grievance {salt}{i}" for i in range(n)],
            "label": (np.arange(n) % 3).astype("int64"),
            "source": ["misclassified" if i % 3 else "correct" for i in range(n)],
        }
    )
    splits, _ = splitting.stratified_split(df, label)
    splitting.write_splits(splits, directory, label)
    return directory


def test_version_tag_format():
    assert publishing.version_tag(NOW) == "v20260302_103015"
    assert publishing.version_tag(NOW.astimezone(dt.timezone(dt.timedelta(hours=7)))) == "v20260302_103015"
    assert publishing.next_version_tag(NOW, "v20260302_103015") == "v20260302_103016"


def test_local_publish_then_unchanged_then_new_version_all_loadable(tmp_path):
    import datasets

    hub = LocalHub(tmp_path / "hub", "local/urgency-dataset")
    splits = make_splits(tmp_path / "s")
    first = publish_version(hub, label="urgency", splits_dir=splits, now=NOW, run_id="run-1")
    assert first.status == "published" and first.version_tag == "v20260302_103015"
    again = publish_version(hub, label="urgency", splits_dir=splits, now=NOW + dt.timedelta(hours=1))
    assert again.status == "unchanged" and again.version_tag == first.version_tag
    changed = make_splits(tmp_path / "s2", salt="new ")
    second = publish_version(hub, label="urgency", splits_dir=changed, now=NOW)  # same second
    assert second.status == "published" and second.version_tag == "v20260302_103016"
    assert second.previous_version == first.version_tag
    assert hub.versions() == [first.version_tag, second.version_tag]

    version_dir = hub.version_dir(first.version_tag)
    meta = json.loads((version_dir / "dataset_metadata.json").read_text())
    assert meta["version_tag"] == first.version_tag and meta["label_column"] == "urgency"
    assert meta["num_samples"] == 300 and meta["splits"] == {"train": 240, "eval": 30, "test": 30}
    assert meta["label_mapping"] == {"NORMAL": 0, "URGENT": 1, "HIGHLY URGENT": 2}
    assert meta["source_counts"] == {"correct": 100, "misclassified": 200} and meta["dagster_run_id"] == "run-1"
    for key in ("dataset_name", "created_at", "content_hash", "code_version"):
        assert key in meta
    assert (version_dir / "data" / "train-00000-of-00001.parquet").read_bytes() == (
        splits / "data" / "train-00000-of-00001.parquet"
    ).read_bytes()

    for tag, salt in ((first.version_tag, ""), (second.version_tag, "new ")):
        ds = datasets.load_dataset(str(hub.version_dir(tag)), cache_dir=str(tmp_path / "hf-cache"))
        assert {s: len(ds[s]) for s in ds} == {"train": 240, "eval": 30, "test": 30}
        assert ds["train"].features["label"].names == ["NORMAL", "URGENT", "HIGHLY URGENT"]
        assert ds["test"][0]["grievance"].startswith(f"grievance {salt}")


def test_dataset_card_yaml(tmp_path):
    from huggingface_hub import DatasetCard

    hub = LocalHub(tmp_path / "hub", "local/department-dataset")
    result = publish_version(
        hub, label="department", splits_dir=make_splits(tmp_path / "s", label="department"), now=NOW
    )
    card = DatasetCard.load(hub.version_dir(result.version_tag) / "README.md")
    data = card.data.to_dict()
    assert data["license"] == "other" and data["task_categories"] == ["text-classification"]
    assert data["language"] == ["th", "ne", "en"] and data["size_categories"] == ["n<1K"]
    assert data["version"] == result.version_tag
    assert data["configs"][0]["data_files"][0] == {"split": "train", "path": "data/train-*.parquet"}
    names = data["dataset_info"]["features"][2]["dtype"]["class_label"]["names"]
    assert names["3"] == "Security & Law Enforcement"


def test_crash_before_the_version_is_visible_leaves_nothing_and_rerun_publishes_once(tmp_path, monkeypatch):
    hub = LocalHub(tmp_path / "hub", "local/urgency-dataset")
    splits = make_splits(tmp_path / "s")
    real_write = publishing.write_version_file

    def crash_on_card(path, data):
        real_write(path, data)
        if path.name == "README.md":  # every file is written, the folder is not renamed yet
            raise OSError("disk went away")

    monkeypatch.setattr(publishing, "write_version_file", crash_on_card)
    with pytest.raises(OSError, match="disk went away"):
        publish_version(hub, label="urgency", splits_dir=splits, now=NOW)
    assert hub.versions() == [] and hub.latest_metadata() is None
    assert [p.name for p in hub.repo_dir.iterdir()] == []  # no staging left behind

    monkeypatch.setattr(publishing, "write_version_file", real_write)
    assert publish_version(hub, label="urgency", splits_dir=splits, now=NOW).status == "published"
    assert publish_version(hub, label="urgency", splits_dir=splits, now=NOW).status == "unchanged"
    assert len(hub.versions()) == 1


class FakeHfApi:
    """Records calls at the huggingface_hub.HfApi boundary and keeps a tiny in-memory repo."""

    endpoint = "https://hub.test"

    def __init__(self, download_dir: Path):
        self.download_dir = download_dir
        self.calls: list[tuple[str, dict]] = []
        self.commits = ["c0"]
        self.files: dict[str, bytes] = {".gitattributes": b""}
        self.tags: dict[str, str] = {}
        self.fail_next_tag = False

    def create_repo(self, repo_id, **kw):
        self.calls.append(("create_repo", {"repo_id": repo_id, **kw}))

    def dataset_info(self, repo_id, **kw):
        return SimpleNamespace(sha=self.commits[-1], siblings=[SimpleNamespace(rfilename=f) for f in self.files])

    def list_repo_refs(self, repo_id, **kw):
        return SimpleNamespace(tags=[SimpleNamespace(name=t) for t in self.tags])

    def hf_hub_download(self, repo_id, filename, **kw):
        path = self.download_dir / hashlib.sha1(f"{kw.get('revision')}{filename}".encode()).hexdigest()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.files[filename])
        return str(path)

    def create_commit(self, repo_id, operations, commit_message, repo_type, parent_commit):
        self.calls.append(
            (
                "create_commit",
                {
                    "repo_id": repo_id,
                    "operations": operations,
                    "parent_commit": parent_commit,
                    "commit_message": commit_message,
                    "repo_type": repo_type,
                },
            )
        )
        if parent_commit != self.commits[-1]:
            raise RuntimeError("412 Precondition Failed: parent commit is not the head")
        for op in operations:
            if type(op).__name__ == "CommitOperationDelete":
                self.files.pop(op.path_in_repo, None)
            else:
                self.files[op.path_in_repo] = op.path_or_fileobj
        self.commits.append(f"c{len(self.commits)}")
        return SimpleNamespace(oid=self.commits[-1], commit_url=f"{self.endpoint}/commit/{self.commits[-1]}")

    def create_tag(self, repo_id, tag, revision, **kw):
        self.calls.append(("create_tag", {"repo_id": repo_id, "tag": tag, "revision": revision, **kw}))
        if self.fail_next_tag:
            self.fail_next_tag = False
            raise ConnectionError("connection reset")
        self.tags[tag] = revision

    def count(self, name):
        return sum(1 for call, _ in self.calls if call == name)


def test_hub_push_is_one_commit_with_parent_then_tag_on_its_oid(tmp_path):
    api = FakeHfApi(tmp_path / "dl")
    result = publish_version(
        HubPublisher(api, "org/urgency"), label="urgency", splits_dir=make_splits(tmp_path / "s"), now=NOW
    )
    assert result.status == "published"
    [commit] = [kw for name, kw in api.calls if name == "create_commit"]
    assert commit["parent_commit"] == "c0" and commit["repo_type"] == "dataset"
    assert sorted(op.path_in_repo for op in commit["operations"]) == [
        "README.md",
        "data/eval-00000-of-00001.parquet",
        "data/test-00000-of-00001.parquet",
        "data/train-00000-of-00001.parquet",
        "dataset_metadata.json",
    ]
    [tag] = [kw for name, kw in api.calls if name == "create_tag"]
    assert tag["tag"] == "v20260302_103015" and tag["revision"] == "c1"
    assert result.uri == "https://hub.test/datasets/org/urgency/tree/v20260302_103015"
    assert json.loads(api.files["dataset_metadata.json"])["content_hash"] == result.content_hash

    again = publish_version(HubPublisher(api, "org/urgency"), label="urgency", splits_dir=tmp_path / "s")
    assert again.status == "unchanged" and api.count("create_commit") == 1 and api.count("create_tag") == 1


def test_hub_crash_between_commit_and_tag_is_repaired_by_the_rerun(tmp_path):
    api = FakeHfApi(tmp_path / "dl")
    api.fail_next_tag = True
    splits = make_splits(tmp_path / "s")
    with pytest.raises(ConnectionError):
        publish_version(HubPublisher(api, "org/urgency"), label="urgency", splits_dir=splits, now=NOW)
    assert api.tags == {}  # the version is not named yet
    result = publish_version(HubPublisher(api, "org/urgency"), label="urgency", splits_dir=splits)
    assert result.status == "published" and result.version_tag == "v20260302_103015"
    assert api.tags == {"v20260302_103015": "c1"} and api.count("create_commit") == 1


def test_hub_concurrent_commit_is_refused_by_parent_commit(tmp_path):
    api = FakeHfApi(tmp_path / "dl")
    publisher = HubPublisher(api, "org/urgency")
    publisher.latest_metadata()  # reads head c0
    api.commits.append("someone-else")
    with pytest.raises(RuntimeError, match="412"):
        publisher.write_version("v20260302_103015", {"README.md": b"x"}, "msg")
    assert api.tags == {}


def test_dataset_hub_resource_local_and_hub(tmp_path, monkeypatch, platform_home):
    splits = make_splits(tmp_path / "s")
    local = DatasetHub()
    result = local.publish("urgency", splits, now=NOW)
    assert (
        Path(result.uri.removeprefix("file://")) == platform_home / "hub" / "local/urgency-dataset" / result.version_tag
    )
    assert local.latest_metadata("urgency")["version_tag"] == result.version_tag

    import huggingface_hub

    api = FakeHfApi(tmp_path / "dl")
    made = []
    monkeypatch.setattr(huggingface_hub, "HfApi", lambda token: made.append(token) or api)
    remote = DatasetHub(hf_token="hf_secret", urgency_repo="org/urgency")
    result = remote.publish("urgency", splits, now=NOW)
    assert made == ["hf_secret"] and result.repo_id == "org/urgency" and api.count("create_commit") == 1
    assert "hf_secret" not in json.dumps(result.to_dict()) and "hf_secret" not in api.files["README.md"].decode()
