"""The peer of issue 16: a Django REST framework app on abiq's own rows.

It answers the bench's task scenarios the ordinary DRF way, on a copy of a
prepared abiq database: a ``HyperlinkedModelSerializer`` (a ``url`` per
task, the jobs nested), ``LimitOffsetPagination`` (25 a page), Token
authentication over its own table, served by waitress with the threads of
``abiq serve``, SQLite in WAL with ``synchronous=FULL`` as abiq opens it::

    python -m bench.drf_peer 8094 /path/to/copy-of-abiq.db [--threads 8]

Its figures are what abiq's are divided by (:mod:`bench.peer`).
"""
