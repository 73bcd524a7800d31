"""Request bodies and the validation of symbols and dates (a failed check is a 400 naming the field)."""

import re
from datetime import date as Date
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    field_validator,
)

MAX_BATCH = 1000
SYMBOL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,9}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

FeatureValue = Annotated[StrictInt | StrictFloat, Field(allow_inf_nan=False)]


def check_symbol(value: str) -> str:
    """The symbol upper-cased; ValueError (the rule) when it cannot be a ticker."""
    if not SYMBOL_RE.match(value):
        raise ValueError(
            "must be 1-10 characters: letters, digits, '.' or '-', starting with a letter or digit"
        )
    return value.upper()


def check_date(value: str | None) -> str | None:
    """``value`` unchanged when it is None or a calendar date written YYYY-MM-DD; ValueError otherwise."""
    if value is None:
        return None
    if not DATE_RE.match(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        Date.fromisoformat(value)
    except ValueError:
        raise ValueError("is not a calendar date (YYYY-MM-DD)") from None
    return value


Symbol = Annotated[str, AfterValidator(check_symbol)]


class PredictionRequest(BaseModel):
    """``POST /api/ml/smart-money-flow``: one symbol, optionally its feature vector or an as-of date."""

    model_config = ConfigDict(extra="forbid")
    symbol: str = Field(description="Ticker, 1-10 characters.")
    features: list[FeatureValue | None] | None = Field(
        default=None,
        description="The model's features in GET /api/meta's feature_names order; null = missing.",
    )
    date: str | None = Field(
        default=None, description="YYYY-MM-DD: use the newest sample date on or before it (default: newest)."
    )

    _check_symbol = field_validator("symbol")(check_symbol)
    _check_date = field_validator("date")(check_date)


class BatchRequest(BaseModel):
    """``POST /api/ml/smart-money-flow/batch``: many symbols at one as-of date."""

    model_config = ConfigDict(extra="forbid")
    symbols: list[Symbol] = Field(min_length=1, max_length=MAX_BATCH)
    date: str | None = None

    _check_date = field_validator("date")(check_date)


class ToggleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: StrictBool
    reason: str = Field(min_length=1, max_length=500)
    actor: str = Field(default="admin-api", min_length=1, max_length=100)
