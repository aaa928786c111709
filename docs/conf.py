"""Sphinx configuration of django-oscar-loyalty's reference documentation.

Imports nothing from the project: building the docs needs only Sphinx, no
Django settings and no database. Build with ``make docs`` or
``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
"""

project = "django-oscar-loyalty"
author = "django-oscar-loyalty contributors"
copyright = "django-oscar-loyalty contributors, BSD-3-Clause"
release = "0.1.0.dev0"
version = "0.1"

language = "en"
extensions = []
root_doc = "index"
exclude_patterns = ["_build"]
templates_path = []
nitpicky = False
highlight_language = "none"
pygments_style = "sphinx"

html_theme = "alabaster"
html_title = "django-oscar-loyalty"
html_static_path = []
html_theme_options = {
    "description": "Bonus points for django-oscar shops, and a two-way exchange with 1C",
    "fixed_sidebar": True,
    "show_relbars": True,
}
html_sidebars = {"**": ["about.html", "navigation.html", "relations.html", "searchbox.html"]}
