"""Sphinx configuration for the abiq documentation.

Only Sphinx's own extensions are used; ``make docs`` builds the HTML into
``docs/_build/html`` and fails on any warning.
"""

import sys
from pathlib import Path

# NOTE: the API reference (autodoc) imports abiq; this makes the checkout's
# importable even where it is not installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

project = 'abiq'
author = 'the abiq authors'
copyright = 'the abiq authors'
release = '0.1.0'

# napoleon: the docstrings are Google style (Args:, Raises:, Attributes:)
extensions = ['sphinx.ext.autodoc', 'sphinx.ext.napoleon']
root_doc = 'index'
exclude_patterns = ['_build']
highlight_language = 'none'
html_theme = 'classic'

autodoc_member_order = 'bysource'
autodoc_typehints = 'description'
# NOTE: types of documented parameters only: no wall of undocumented ones
autodoc_typehints_description_target = 'documented_params'
napoleon_numpy_docstring = False
