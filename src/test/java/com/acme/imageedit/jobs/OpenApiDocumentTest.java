package com.acme.imageedit.jobs;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.acme.imageedit.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.result.method.annotation.RequestMappingHandlerMapping;

import static org.assertj.core.api.Assertions.assertThat;

/** The OpenAPI document describes every endpoint the service serves, and the webhook payloads. */
class OpenApiDocumentTest extends IntegrationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    @Autowired
    @Qualifier("requestMappingHandlerMapping")
    RequestMappingHandlerMapping mappings;

    @Test
    void everyServedEndpointIsInTheDocument() {
        Set<String> served = new TreeSet<>();
        mappings.getHandlerMethods().forEach((info, method) -> {
            if (!method.getBeanType().getPackageName().startsWith("com.acme.imageedit")) {
                return; // springdoc's own endpoints
            }
            info.getPatternsCondition().getPatterns().forEach(pattern -> info.getMethodsCondition().getMethods()
                    .forEach(verb -> served.add(verb.name().toLowerCase() + " " + pattern.getPatternString())));
        });
        assertThat(served).as("endpoints found").contains("post /v1/images/edits", "get /v1/jobs",
                "get /v1/jobs/{id}/events", "get /files/results/{id}");

        Map<String, Object> document = document();
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> paths = (Map<String, Map<String, Object>>) document.get("paths");
        Set<String> documented = new TreeSet<>();
        paths.forEach((path, item) -> item.keySet().forEach(verb -> documented.add(verb + " " + path)));

        assertThat(documented).containsAll(served);
    }

    @Test
    void itIsOpenApi31WithWebhooksProblemsAndSnakeCaseSchemas() {
        Map<String, Object> document = document();
        assertThat((String) document.get("openapi")).startsWith("3.1");
        @SuppressWarnings("unchecked")
        Map<String, Object> webhooks = (Map<String, Object>) document.get("webhooks");
        assertThat(webhooks).containsKeys(JobApiDocumentation.EVENT_TYPES.toArray(String[]::new));
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> schemas = (Map<String, Map<String, Object>>)
                ((Map<String, Object>) document.get("components")).get("schemas");
        assertThat(schemas).containsKeys("Problem", "JobEvent", "JobView", "ImagesResponse");
        @SuppressWarnings("unchecked")
        Map<String, Object> jobProperties = (Map<String, Object>) schemas.get("JobView").get("properties");
        assertThat(jobProperties).containsKeys("polling_url", "unsigned_urls", "created_at", "cost_usd");

        http(null).get().uri("/swagger-ui.html").exchange().expectStatus().is3xxRedirection();
    }

    private Map<String, Object> document() {
        return http(null).get().uri("/v3/api-docs").accept(MediaType.APPLICATION_JSON).exchange()
                .expectStatus().isOk().expectBody(JSON).returnResult().getResponseBody();
    }
}
