"""Responses compressed in the app (Flask-Compress: br where the client accepts it, else gzip), so
`gridmgr serve` sends small answers without a proxy in front."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_compress import Compress

# text-like answers worth compressing; images, XLSX, GeoPackage and zip are compressed already
COMPRESSIBLE = (
    "text/html",
    "text/css",
    "text/plain",
    "text/csv",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/geo+json",
    "application/problem+json",
    "application/xml",
    "image/svg+xml",
)


def init_app(app: Flask) -> None:
    """Compress the app's text answers over COMPRESS_MIN_SIZE bytes, and say `Vary: Accept-Encoding`."""
    app.config.setdefault("COMPRESS_MIMETYPES", list(COMPRESSIBLE))
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_STREAMS", False)  # streamed answers go out as they stream
    app.config["COMPRESS_REGISTER"] = False  # registered below, past the cases it would get wrong
    compress = Compress(app)

    @app.after_request
    def _compress(resp: Response) -> Response:
        if resp.status_code == 206:  # a byte range of the file as it is: Content-Range counts those
            resp.headers.add("Vary", "Accept-Encoding")
            return resp
        if request.endpoint == "static" and resp.is_streamed and resp.status_code == 200:
            resp.direct_passthrough = (
                False  # a small file of ours: read, compressed, its length known
            )
            resp.make_sequence()
        return compress.after_request(resp)
