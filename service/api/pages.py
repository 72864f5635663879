"""Pagination of list endpoints: `?page=&per_page=` in, `items`, `total` and a `next` link out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import request, url_for
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from service.api.schemas import Page, PageQuery

P = TypeVar("P", bound=Page)


def paginate(
    session: Session, query: Select, params: PageQuery, page_model: type[P], serialize: Callable[[Any], Any]
) -> P:
    """One page of `query` (which must be ordered), with the total and the link to the next page."""
    page, per_page = params.page, params.per_page
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = session.scalars(query.limit(per_page).offset((page - 1) * per_page))
    next_url = None
    if page * per_page < total:
        args = {**request.args.to_dict(), "page": page + 1, "per_page": per_page}
        endpoint_args: dict[str, Any] = {**(request.view_args or {}), **args}
        next_url = url_for(request.endpoint or "", **endpoint_args)
    return page_model(
        items=[serialize(row) for row in rows], page=page, per_page=per_page, total=total, next=next_url
    )
