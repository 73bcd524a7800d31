"""The web page: ``/`` and its static files (plain HTML, CSS and JavaScript)."""

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC = resources.files("smart_money.serve") / "static"

router = APIRouter()


@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    # async: FileResponse reads the file itself, in the thread pool, while it sends it
    return FileResponse(str(STATIC / "index.html"), headers={"Cache-Control": "no-cache"})
