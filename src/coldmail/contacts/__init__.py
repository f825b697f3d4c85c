"""Contacts as the faces see them: the read model (`views.ContactView`, `load_contact`) and keyset
paging for big tables. Read-only; changes to contacts belong to `prospects` (import),
`suppression` and `privacy` (erasure)."""
