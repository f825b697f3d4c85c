"""audit notes: free text beside the sealed audit log, where erasure reaches it

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

The fingerprint key leaves the database and the old log is re-sealed under the audit key when the
workspace is first opened with this release (store.keys, audit.reseal): both need the key file,
which a migration cannot see.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_notes_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_notes_fingerprint'), ['fingerprint'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_notes_fingerprint'))
        batch_op.drop_index(batch_op.f('ix_audit_notes_entry_id'))
    op.drop_table('audit_notes')
