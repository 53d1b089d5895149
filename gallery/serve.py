"""``gan-zoo site --serve``: the built folder over http on localhost (WebAssembly needs http, not file://).

Examples:
>>> import threading, urllib.request
>>> from pathlib import Path
>>> _ = Path("out/site").mkdir(parents=True), Path("out/site/index.html").write_text("<p>hi</p>")
>>> server = make_server("out/site", port=0)          # port 0: any free port
>>> threading.Thread(target=server.serve_forever, daemon=True).start()
>>> with urllib.request.urlopen(url_of(server) + "index.html") as r:
...     r.read(), r.headers["Content-Type"]
(b'<p>hi</p>', 'text/html')
>>> server.shutdown(); server.server_close()
"""

from __future__ import annotations

import functools
import http.server
from pathlib import Path

HOST = "127.0.0.1"
DEFAULT_PORT = 8000
# Types the browser insists on: WebAssembly.instantiateStreaming wants application/wasm and a module
# script (onnxruntime-web's .mjs loader) a JavaScript type; Python's tables lack them on some systems.
TYPES = {".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript",
         ".onnx": "application/octet-stream", ".json": "application/json"}


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **TYPES}

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        """Request lines only with -v/--verbose."""
        if self.server.verbose:
            super().log_message(format, *args)


def make_server(folder, port: int = DEFAULT_PORT, verbose: bool = False) -> http.server.ThreadingHTTPServer:
    """A threading HTTP server for ``folder`` on 127.0.0.1 (not started; call ``serve_forever``).

    Raises:
        FileNotFoundError: ``folder`` has no ``index.html`` (build the site first).
    """
    folder = Path(folder)
    if not (folder / "index.html").is_file():
        raise FileNotFoundError(f"{folder} has no index.html; build the site first: gan-zoo site -o {folder}")
    handler = functools.partial(_Handler, directory=str(folder))
    server = http.server.ThreadingHTTPServer((HOST, port), handler)
    server.verbose = verbose
    server.daemon_threads = True
    return server


def url_of(server) -> str:
    """``http://127.0.0.1:PORT/`` of a server from :func:`make_server`."""
    return f"http://{HOST}:{server.server_address[1]}/"


def serve(folder, port: int = DEFAULT_PORT, verbose: bool = False) -> None:
    """Serves ``folder`` until Ctrl-C."""
    server = make_server(folder, port, verbose)
    print(f"serving {folder} at {url_of(server)} (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()
