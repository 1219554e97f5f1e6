"""The duidingssessie workbench (``wijkindeling sessie``): edit a division live in the browser.

Modules, bottom to top: ``store.py`` (the SQLite session file: history, locks, names, notes), ``session.py``
(the logic without HTTP: moves, previews, scores from :mod:`wijkindeling.model.metrics`, locks, re-optimising,
suggestions, saving with ``propose``'s writer) and ``app.py`` (the FastAPI application and its runner);
``static/`` holds the page (plain JavaScript and the Leaflet the project ships).
"""
