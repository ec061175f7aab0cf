"""Sphinx configuration for the abiq documentation.

Only built-in Sphinx features are used: ``sphinx-build -b html docs docs/_build``.
"""

project = 'abiq'
author = 'the abiq authors'
copyright = 'the abiq authors'
release = '0.1.0'

extensions = []
root_doc = 'index'
exclude_patterns = ['_build']
highlight_language = 'none'
html_theme = 'classic'
