"""The web layer: GOV.UK pages and JSON endpoints, built by ``create_app`` in ``app``."""
