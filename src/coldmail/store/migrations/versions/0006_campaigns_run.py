"""campaigns that run themselves: mailboxes, the next-due index (issue 18)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('campaign_mailboxes',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('mailbox', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'mailbox')
    )
    op.create_table('mailbox_states',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('down_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('sender_beats',
    sa.Column('worker', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_event', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('next_due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_reason', sqlmodel.sql.sqltypes.AutoString(length=200), server_default='', nullable=False),
    sa.Column('stopped', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('worker')
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mailbox', sqlmodel.sql.sqltypes.AutoString(length=100), server_default='',
                                      nullable=False))
        batch_op.create_index('ix_messages_mailbox_claimed', ['mailbox', 'claimed_at'], unique=False)
        batch_op.create_index('ix_messages_due_mailbox', ['campaign_id', 'state', 'mailbox', 'not_before'],
                              unique=False)
        batch_op.create_index('ix_messages_step_sent', ['campaign_id', 'position', 'state', 'sent_at'], unique=False)
        batch_op.add_column(sa.Column('window_key', sqlmodel.sql.sqltypes.AutoString(length=70), server_default='',
                                      nullable=False))
        batch_op.create_index('ix_messages_window', ['campaign_id', 'state', 'window_key', 'not_before'],
                              unique=False)
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('planned_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('members_seen_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('full_plan_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('list_members', schema=None) as batch_op:
        batch_op.create_index('ix_list_members_added', ['list_id', 'added_at'], unique=False)
    # Messages written before mailboxes existed went through [smtp]: the implicit mailbox "default".
    op.execute("UPDATE messages SET mailbox = 'default' WHERE claimed_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('list_members', schema=None) as batch_op:
        batch_op.drop_index('ix_list_members_added')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('full_plan_at')
        batch_op.drop_column('members_seen_at')
        batch_op.drop_column('planned_at')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_window')
        batch_op.drop_column('window_key')
        batch_op.drop_index('ix_messages_step_sent')
        batch_op.drop_index('ix_messages_due_mailbox')
        batch_op.drop_index('ix_messages_mailbox_claimed')
        batch_op.drop_column('mailbox')
    op.drop_table('sender_beats')
    op.drop_table('mailbox_states')
    op.drop_table('campaign_mailboxes')
