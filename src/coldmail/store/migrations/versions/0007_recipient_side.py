"""the recipient's side (issue 19): a contact's profile page apart from the source URL

Imports used to store a LinkedIn (or similar) profile as the source URL. Such URLs, which name a
person's own page and never where the data was found, move to `profile_url`.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

import re

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# Profile pages as mail.grammar.is_profile knew them when this migration was written (kept here
# as it was, so that the migration does the same whenever it runs).
_PROFILE = re.compile(
    r"^https?://([a-z0-9-]+\.)*(linkedin\.com/(in|pub)/|xing\.com/profile/|twitter\.com/|x\.com/|"
    r"facebook\.com/|instagram\.com/|github\.com/[^/]+/?$)", re.IGNORECASE)
_CANDIDATES = ("linkedin.com/", "xing.com/", "twitter.com/", "x.com/", "facebook.com/", "instagram.com/",
               "github.com/")


def upgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('profile_url', sqlmodel.sql.sqltypes.AutoString(length=500), server_default='',
                                      nullable=False))
    conn = op.get_bind()
    contacts = sa.table('contacts', sa.column('id', sa.Integer), sa.column('source_url', sa.String),
                        sa.column('profile_url', sa.String))
    found = conn.execute(sa.select(contacts.c.id, contacts.c.source_url).where(
        sa.or_(*(sa.func.lower(contacts.c.source_url).contains(c) for c in _CANDIDATES)))).all()
    moved = [{"b_id": cid, "b_url": url.strip()} for cid, url in found if _PROFILE.match(url.strip())]
    if moved:
        conn.execute(contacts.update().where(contacts.c.id == sa.bindparam("b_id"))
                     .values(profile_url=sa.bindparam("b_url"), source_url=""), moved)


def downgrade() -> None:
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE contacts SET source_url = profile_url WHERE source_url = '' AND profile_url != ''"))
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('profile_url')
