from __future__ import annotations

from datetime import datetime

import strawberry

from app.domain.domains.models import Domain as DomainModel
from app.graphql.relay import Node, UserError, to_global_id


@strawberry.type(description="A custom short domain; its links are https://<hostname>/<slug>.")
class Domain(Node):
    id: strawberry.ID
    hostname: str
    verified: bool
    verification_token: str = strawberry.field(
        description="Served at /.well-known/qrforge/<token> on the host; verifyDomain checks it."
    )
    not_found_redirect: str | None = strawberry.field(
        description="Where an unknown slug on this domain sends people (else a 404 page)."
    )
    base_redirect: str | None = strawberry.field(
        description="Where the bare domain sends people (else a 404 page)."
    )
    created_at: datetime

    @classmethod
    def from_model(cls, domain: DomainModel) -> Domain:
        return cls(
            id=to_global_id("Domain", domain.id),
            hostname=domain.hostname,
            verified=domain.verified,
            verification_token=domain.verification_token,
            not_found_redirect=domain.not_found_redirect,
            base_redirect=domain.base_redirect,
            created_at=domain.created_at,
        )


@strawberry.input
class CreateDomainInput:
    hostname: str
    not_found_redirect: str | None = strawberry.UNSET
    base_redirect: str | None = strawberry.UNSET


@strawberry.type
class DomainPayload:
    domain: Domain | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
