"""The audit trail of the inventory, written by database triggers so no client can bypass it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from assets.models.base import Base


class AssetHistory(Base):
    """One insert, update, retirement or deletion of one asset: who, when, before and after."""

    __tablename__ = "asset_history"
    __table_args__ = (Index("ix_asset_history_at", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    asset_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    action: Mapped[str] = mapped_column(Text, nullable=False)  # insert, update, retire, delete
    actor_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    txid: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=func.txid_current())
    changed: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
