"""The gan-zoo gallery: a static site of every entry with in-browser generation (``gan-zoo site``).

* :mod:`gallery.build`: ``build_site(out)``, the whole site, written atomically and deterministically;
* :mod:`gallery.data`: what a page shows, read from the cards, ``docs/`` and the benchmark results;
* :mod:`gallery.pages` and :mod:`gallery.sections`: the HTML;
* :mod:`gallery.onnx_site`: each entry's generator as canonical, verified ONNX (through :mod:`export`);
* :mod:`gallery.runtime`: onnxruntime-web, pinned, fetched with npm once and cached;
* :mod:`gallery.serve`: ``gan-zoo site --serve``;
* ``gallery/static/``: the page script (``gallery.js``, the live panel) and the stylesheet.

The model core (``zoo``) never imports this package; ``gan-zoo site`` is registered through the
``gan_zoo.commands`` entry-point group, and importing this package imports neither Keras nor TensorFlow.
"""
