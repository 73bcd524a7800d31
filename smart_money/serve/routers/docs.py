"""``/docs`` (Swagger UI) and ``/redoc``, with their scripts and styles served by this app.

FastAPI's own pages load Swagger UI and Redoc from a CDN, so offline they are blank. The files come from the
installed ``fastapi-offline`` package (MIT; its ``static`` folder holds the Swagger UI and Redoc builds) and
are mounted at ``ASSETS``; the pages are FastAPI's ``get_swagger_ui_html``/``get_redoc_html`` pointed at them,
without Google Fonts. Their Content-Security-Policy lets them load from this app only: Redoc's footer logo,
which its script asks of its own CDN (and hides when it fails), is then refused by the browser without a
network attempt.
"""

from importlib import resources

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"
FILES = resources.files("fastapi_offline") / "static"

# the pages' own inline script and styles, their data: images and Redoc's search worker (a blob: URL)
POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'"
)

router = APIRouter(include_in_schema=False)


def _local_only(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = POLICY
    return page


def _asset(request: Request, name: str) -> str:
    return f"{request.scope.get('root_path', '')}{ASSETS}/{name}"


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    app = request.app
    page = get_swagger_ui_html(
        openapi_url=request.scope.get("root_path", "") + app.openapi_url,
        title=f"{app.title} API",
        oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url,
        swagger_js_url=_asset(request, "swagger-ui-bundle.js"),
        swagger_css_url=_asset(request, "swagger-ui.css"),
        swagger_favicon_url=_asset(request, "favicon.png"),
    )
    return _local_only(page)


@router.get("/docs/oauth2-redirect")
async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    app = request.app
    page = get_redoc_html(
        openapi_url=request.scope.get("root_path", "") + app.openapi_url,
        title=f"{app.title} API",
        redoc_js_url=_asset(request, "redoc.standalone.js"),
        redoc_favicon_url=_asset(request, "favicon.png"),
        with_google_fonts=False,
    )
    return _local_only(page)


def install(app: FastAPI) -> None:
    """Serve the API docs pages and their files from ``app`` (create ``app`` with ``docs_url=None`` and
    ``redoc_url=None``)."""
    app.include_router(router)
    app.mount(ASSETS, StaticFiles(directory=str(FILES)), name="docs-assets")
