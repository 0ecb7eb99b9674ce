"""Product profiles and the activation codes they use.

The profile and code look-ups run on many chat steps (the profile and code questions, and
checking that earlier answers still hold), so they are Core statements on the unit's
connection: no ORM session is opened for them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from flows.context import CodeView, ProfileView
from flows.validators import mask_activation_code
from store.db import table_of
from store.repositories.base import Repository
from store.repositories.contacts import ContactInfo
from store.tables import ActivationCode, Contact, Profile, saved_id, utcnow

_codes = table_of(ActivationCode)
_profiles = table_of(Profile)
_CODES_OF = (sa.select(_codes.c.id, _codes.c.product, _codes.c.code)
             .where(_codes.c.account_id == sa.bindparam("account_id"),
                    _codes.c.product == sa.bindparam("product"))
             .order_by(_codes.c.id))
_PROFILES_OF = (
    sa.select(_profiles.c.id, _profiles.c.name, _profiles.c.product, _profiles.c.version,
              _profiles.c.operating_systems, _profiles.c.language, _profiles.c.settings,
              _profiles.c.activation_code_id, _profiles.c.toolbox_guid, _codes.c.code)
    .select_from(_profiles.outerjoin(_codes, _profiles.c.activation_code_id == _codes.c.id))
    .where(_profiles.c.contact_id == sa.bindparam("contact_id"))
    .order_by(_profiles.c.name_key))


class Profiles(Repository):
    def code_views(self, account_id: int, product: str) -> list[CodeView]:
        rows = self.conn.execute(_CODES_OF, {"account_id": account_id, "product": product})
        return [CodeView(id=id_, product=product_, masked=mask_activation_code(code))
                for id_, product_, code in rows]

    def code(self, code_id: int) -> ActivationCode | None:
        return self.s.get(ActivationCode, code_id)

    def register_code(self, account_id: int, product: str, code: str,
                      registered_by: int | None = None) -> ActivationCode:
        row = self.s.exec(select(ActivationCode).where(ActivationCode.account_id == account_id,
                                                       ActivationCode.code == code)).first()
        if row is None:
            row = ActivationCode(account_id=account_id, product=product, code=code,
                                 registered_by=registered_by)
            self.s.add(row)
            self.s.flush()
        return row

    def views(self, contact_id: int) -> list[ProfileView]:
        rows = self.conn.execute(_PROFILES_OF, {"contact_id": contact_id})
        return [ProfileView(
            id=id_, name=name, product=product, version=version,
            operating_systems=tuple(systems or ()), language=language,
            settings=tuple(settings or ()), activation_code_id=code_id,
            activation_code_masked=mask_activation_code(code) if code is not None else None,
            toolbox_guid=guid)
            for id_, name, product, version, systems, language, settings, code_id, guid, code
            in rows]

    def save(self, contact: Contact | ContactInfo, a: dict[str, Any]) -> int:
        """Create or update the contact's profile from the profile form's answers."""
        code_answer = a.get("activation_code") or {}
        if "new" in code_answer:
            code_id = self.register_code(contact.account_id, a["product"], code_answer["new"],
                                         registered_by=contact.id).id
        else:
            code_id = code_answer.get("id")
            owned = self.s.get(ActivationCode, code_id) if code_id else None
            if owned is None or owned.account_id != contact.account_id:
                code_id = None
        pid = a.get("_profile_id")
        profile = self.s.get(Profile, pid) if pid else None
        if profile is None or profile.contact_id != contact.id:
            profile = Profile(contact_id=saved_id(contact), name="", name_key="", product="",
                              version="", language="")
            self.s.add(profile)
        profile.name = a["name"]
        profile.name_key = a["name"].casefold()
        profile.product = a["product"]
        profile.version = a["version"]
        profile.operating_systems = list(a.get("operating_systems") or [])
        profile.activation_code_id = code_id
        profile.toolbox_guid = a.get("toolbox_guid") or None
        profile.settings = list(a.get("settings") or [])
        profile.language = a["language"]
        profile.updated_at = utcnow()
        self.s.flush()
        assert profile.id is not None
        return profile.id

    def delete(self, contact: Contact | ContactInfo, profile_id: int) -> bool:
        profile = self.s.get(Profile, profile_id)
        if profile is None or profile.contact_id != contact.id:
            return False
        self.s.delete(profile)
        self.s.flush()
        return True
