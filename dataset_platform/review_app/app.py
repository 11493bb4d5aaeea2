"""Streamlit entry point of the review app: `streamlit run app.py` (or `dataset-platform review`)."""

from pathlib import Path

import streamlit as st

from dataset_platform.review_app import ui

HERE = Path(__file__).parent

st.set_page_config(page_title="Dataset review", page_icon=":material/fact_check:", layout="wide")
ui.sign_in()
ui.status_strip(ui.engine())
page = st.navigation(
    [
        st.Page(HERE / "views" / "forms.py", title="Forms", icon=":material/ballot:", url_path="forms", default=True),
        st.Page(
            HERE / "views" / "grievances.py", title="Grievances", icon=":material/support_agent:", url_path="grievances"
        ),
    ]
)
page.run()
