"""The terminal app: ``searchkit`` (or ``searchkit tui``) opens it.

- ``app``: the App, its factory ``create_app`` and ``run`` for the command line;
  the App's other roles are mixins: ``records`` (what the keys do with a record),
  ``library`` (search history, saved searches), ``indexing`` (updates, watcher);
- ``keys``: the keys, the palette and the editor; ``events``: the workers' messages;
- ``backend``: the core behind locks (one Engine, one index writer at a time);
- ``facets``, ``results``, ``preview``, ``screens``: widgets that talk to the
  app through messages;
- ``render``: pure helpers (wiki links to Markdown links, highlighting);
- ``app.tcss``: the layout.

Textual is imported only inside this package.
"""
