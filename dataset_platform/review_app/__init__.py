"""The review app: a Streamlit dataset manager where people correct form extractions and label grievances.

Plain logic (no Streamlit): `validation`, `store`, `form_queue`, `status`. Streamlit: `app.py`, `ui.py`, `views/`.
"""
