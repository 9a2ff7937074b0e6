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
    "application/vnd.mapbox-vector-tile",  # protobuf of many short repeated strings: gzip halves it
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
        if _kept_compressed(resp):  # the client holds this answer compressed: a 304, not compressed
            resp.headers.add("Vary", "Accept-Encoding")
            return resp
        if request.endpoint == "static" and resp.is_streamed and resp.status_code == 200:
            # a small file of ours: read, compressed, its length known
            resp.direct_passthrough = False
            resp.make_sequence()
        return compress.after_request(resp)


def _kept_compressed(resp: Response) -> bool:
    """Whether If-None-Match names this answer's strong ETag as compressed (`"tag:gzip"`, as
    Flask-Compress marks it) in an encoding the client still accepts; `resp` is then that 304."""
    tag, weak = resp.get_etag()
    if resp.status_code != 200 or not tag or weak or not request.if_none_match:
        return False
    for algorithm in ("br", "gzip"):
        if request.accept_encodings[algorithm] > 0 and request.if_none_match.contains(
            f"{tag}:{algorithm}"
        ):
            resp.set_etag(f"{tag}:{algorithm}")
            resp.make_conditional(request)
            if resp.status_code == 304:
                return True
            resp.set_etag(tag)  # not a match after all: Flask-Compress marks it as it compresses
            return False
    return False
