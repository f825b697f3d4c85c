"""Composing and transmitting email: Jinja2 templating, rendering with the notice and opt-out,
MIME, DKIM, template lint, languages (`i18n`, with the words of each language in `locales/`) and
the SMTP transport (`smtp`) that campaigns and data-subject answers share."""
