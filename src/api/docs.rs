//! The OpenAPI 3 document served at `/openapi.json`. Paths and schemas come
//! from the handlers' `#[utoipa::path]` annotations and the types' derives
//! (collected by the router in `api::router`); this module adds what is
//! global: title, version, tags and the bearer-key security scheme.

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "caseguard",
        description = "Offline triage of complaints and loan applications for organised fraud \
            (金融黑灰产): scheme types with confidence, red/yellow/green grade with reasons, \
            evidence chain and reports, knowledge-base curation. Every /v1 route takes \
            `Authorization: Bearer KEY`; each says which roles it admits (admin: all). \
            Errors are `{\"error\": {\"code\", \"message\"}}`."
    ),
    modifiers(&BearerKeys),
    tags(
        (name = "assessments", description = "complaint handlers: assess, list, feedback"),
        (name = "reports", description = "legal team: evidence drafts and reports"),
        (name = "campaigns", description = "investigators: submissions linked by template or shared identifiers, exports"),
        (name = "knowledge base", description = "curators: documents, search, candidate examples"),
        (name = "service", description = "health, readiness, audit")
    )
)]
pub struct ApiDoc;

struct BearerKeys;

impl Modify for BearerKeys {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.info.version = env!("CARGO_PKG_VERSION").to_string();
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "an API key from the config, CASEGUARD_API_KEYS or `caseguard keys`",
                    ))
                    .build(),
            ),
        );
    }
}
