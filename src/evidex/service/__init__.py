"""The web service: JSON API (:mod:`~evidex.service.server`), web page
(:mod:`~evidex.service.pages`), articles and review (:mod:`~evidex.service.publish`),
users (:mod:`~evidex.service.accounts`) and the article database
(:mod:`~evidex.service.db`, Alembic migrations in ``migrations/``)."""
