package com.acme.imageedit.jobs;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.swagger.v3.core.converter.AnnotatedType;
import io.swagger.v3.core.converter.ModelConverters;
import io.swagger.v3.core.converter.ResolvedSchema;
import io.swagger.v3.core.jackson.ModelResolver;
import io.swagger.v3.core.util.Json31;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.oas.models.parameters.RequestBody;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI 3.1 document at {@code /v3/api-docs} (Swagger UI at {@code /swagger-ui.html}): the job API's endpoints as
 * springdoc finds them, completed with what it cannot see from the code (bodies read by hand, problem responses, bearer
 * keys) and the {@code webhooks} section: the event envelope a webhook receiver (and an event stream) gets.
 */
@Configuration(proxyBeanMethods = false)
class JobApiDocumentation {

    static final List<String> EVENT_TYPES = List.of("job.succeeded", "job.failed", "job.cancelled", "job.expired",
            "job.in_progress");
    private static final String PROBLEM = "Problem";
    private static final Map<String, String> SUMMARIES = Map.of(
            "POST /v1/images/edits", "Submit an image edit (async=true: TheRouter's 202; without: OpenAI's waiting call)",
            "POST /v1/images/generations", "Submit a text-to-image generation (same modes as edits)",
            "GET /v1/jobs", "List the caller's jobs, newest first, in cursor pages",
            "GET /v1/jobs/{id}", "The job object (TheRouter's fields plus metadata, timings, cost, links)",
            "POST /v1/jobs/{id}/cancel", "Cancel a queued or running job",
            "GET /v1/jobs/{id}/events", "Server-Sent Events of the job's states until it ends (Last-Event-ID resumes)",
            "GET /v1/jobs/{id}/content", "The stored result image",
            "GET /files/results/{id}", "The result through a signed link from unsigned_urls (no key)");

    /** Schemas in the JSON names the service writes (Jackson's SNAKE_CASE, spring.jackson.property-naming-strategy). */
    @Bean
    ModelResolver snakeCaseSchemas() {
        return new ModelResolver(Json31.mapper().copy().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE));
    }

    @Bean
    OpenApiCustomizer jobApiDocument() {
        return openApi -> {
            openApi.info(new Info().title("Image Edit Proxy").version("v1").description("""
                    A drop-in for TheRouter's async image API (submit, poll, fetch), OpenAI-compatible waiting \
                    submits, and the proxy's own extensions: listing, cancelling, event streams, idempotent submits, \
                    signed result links. Every error is RFC 9457 application/problem+json with an `error` object."""));
            Components components = openApi.getComponents() == null ? new Components() : openApi.getComponents();
            openApi.components(components);
            components.addSecuritySchemes("teamKey", new SecurityScheme().type(SecurityScheme.Type.HTTP)
                    .scheme("bearer").description("A team's API key (admin keys for /v1/admin)"));
            components.addSchemas(PROBLEM, problemSchema());
            Schema<?> event = schema(JobEvent.class, components);
            submitBodies(openApi.getPaths() == null ? Map.of() : openApi.getPaths(), components);
            if (openApi.getPaths() != null) {
                listParameters(openApi.getPaths().get("/v1/jobs"));
                openApi.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, operation) -> {
                    if (path.startsWith("/v1/")) {
                        operation.addSecurityItem(new SecurityRequirement().addList("teamKey"));
                    }
                    String summary = SUMMARIES.get(method.name() + " " + path);
                    if (summary != null && operation.getSummary() == null) {
                        operation.summary(summary);
                    }
                    problems(method.name() + " " + path, operation);
                }));
            }
            for (String type : EVENT_TYPES) {
                openApi.addWebhooks(type, new PathItem().post(new Operation()
                        .summary("Sent when a job reaches " + type.substring("job.".length()))
                        .description("Signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature). "
                                + "The body is the event envelope; data is the job object. An event stream "
                                + "(GET /v1/jobs/{id}/events) sends the same envelope as each event's data.")
                        .requestBody(new RequestBody().required(true).content(new Content().addMediaType(
                                "application/json", new MediaType().schema(event))))
                        .responses(new ApiResponses().addApiResponse("2XX", new ApiResponse()
                                .description("Received; any other answer is retried")))));
            }
        };
    }

    /** Submits read their bodies themselves (multipart or JSON), so springdoc cannot see them. */
    private static void submitBodies(Map<String, PathItem> paths, Components components) {
        for (String path : List.of("/v1/images/edits", "/v1/images/generations")) {
            PathItem item = paths.get(path);
            if (item == null || item.getPost() == null) {
                continue;
            }
            boolean edit = path.endsWith("edits");
            ObjectSchema form = new ObjectSchema();
            form.addProperty("model", new StringSchema().description(edit ? "an edit model of the model table"
                    : "any model of the model table (default: the first generation model); TheRouter's model "
                    + "page sends its edit model here too"));
            form.addProperty("prompt", new StringSchema());
            if (edit) {
                form.addProperty("image", new StringSchema().format("binary").description(
                        "PNG, JPEG or WEBP; in JSON: base64 or a data URL"));
            }
            form.addProperty("size", new StringSchema().example("1024x1024"));
            form.addProperty("seed", new Schema<Long>().type("integer"));
            form.addProperty("cfg", new Schema<Double>().type("number"));
            form.addProperty("num_inference_steps", new Schema<Integer>().type("integer"));
            form.addProperty("deadline_seconds", new Schema<Integer>().type("integer"));
            form.addProperty("response_format", new StringSchema()._enum(List.of("b64_json", "url")));
            form.addProperty("metadata", new ObjectSchema().additionalProperties(new StringSchema())
                    .description("≤ 16 string entries; multipart: metadata[key]=value"));
            form.required(edit ? List.of("prompt", "image") : List.of("prompt"));
            item.getPost().requestBody(new RequestBody().required(true).content(new Content()
                    .addMediaType("multipart/form-data", new MediaType().schema(form))
                    .addMediaType("application/json", new MediaType().schema(form))));
            item.getPost().getResponses().addApiResponse("202", new ApiResponse()
                    .description("Accepted (async=true, or the wait ran out): the job object")
                    .content(new Content().addMediaType("application/json",
                            new MediaType().schema(schema(JobView.class, components)))));
            item.getPost().getResponses().addApiResponse("200", new ApiResponse()
                    .description("Without async=true: OpenAI's images answer once the job succeeded; with async=true "
                            + "and Prefer: wait=N: the ended job object")
                    .content(new Content().addMediaType("application/json",
                            new MediaType().schema(schema(ImagesResponse.class, components)))));
        }
    }

    /** The refusals each endpoint can answer, all as problem+json. */
    private static void problems(String endpoint, Operation operation) {
        ApiResponses responses = operation.getResponses() == null ? new ApiResponses() : operation.getResponses();
        operation.responses(responses);
        Map<String, String> statuses = new LinkedHashMap<>();
        boolean submit = endpoint.startsWith("POST /v1/images/");
        boolean files = endpoint.contains(" /files/");
        if (!files) {
            statuses.put("401", "Missing or wrong key");
            statuses.put("429", "Over the team's request rate (Retry-After)");
        }
        if (endpoint.contains(" /v1/admin/") || submit) {
            statuses.put("403", submit ? "Admin keys do not submit jobs" : "Needs an admin key");
        }
        if (submit || endpoint.equals("GET /v1/jobs") || endpoint.equals("GET /v1/usage")
                || endpoint.contains("/v1/admin/")) {
            statuses.put("400", "Bad input; `field` and `error.param` name it");
        }
        if (submit) {
            statuses.put("402", "Over the team's budget (`budget_exceeded`, `remaining_usd`); nothing stored");
            statuses.put("413", "Image or body too large");
            statuses.put("415", "Not multipart/form-data or JSON, or not a PNG/JPEG/WEBP image");
            statuses.put("422", "Idempotency-Key used with another request in the last 24 h");
            statuses.put("502", "Without async: the job failed while waited for (`job_id` names it)");
            statuses.put("504", "Without async: the job expired while waited for");
        }
        if (endpoint.contains("{")) {
            statuses.put("404", files ? "The result no longer exists" : "No such job (or another team's)");
        }
        if (endpoint.endsWith("/cancel") || endpoint.endsWith("/content") || submit) {
            statuses.put("409", endpoint.endsWith("/cancel") ? "The job already ended, or its submit is on the wire "
                    + "(Retry-After)" : submit ? "Without async: the job was cancelled while waited for"
                    : "The job has no result (yet)");
        }
        if (files) {
            statuses.put("403", "The link was changed: its signature does not match");
            statuses.put("410", "The link expired with the result's retention");
        }
        Content problem = new Content().addMediaType("application/problem+json",
                new MediaType().schema(new Schema<>().$ref("#/components/schemas/" + PROBLEM)));
        statuses.forEach((status, description) -> {
            if (!responses.containsKey(status)) {
                responses.addApiResponse(status, new ApiResponse().description(description).content(problem));
            }
        });
    }

    /** {@code GET /v1/jobs} reads its query itself ({@link JobListing}); springdoc cannot see the parameters. */
    private static void listParameters(PathItem list) {
        if (list == null || list.getGet() == null) {
            return;
        }
        Operation get = list.getGet();
        get.addParametersItem(query("after", new StringSchema(), "next_cursor of the previous page"));
        get.addParametersItem(query("limit", new Schema<Integer>().type("integer").minimum(BigDecimal.ONE)
                .maximum(BigDecimal.valueOf(JobListing.MAX_LIMIT)), "page size, default " + JobListing.DEFAULT_LIMIT));
        get.addParametersItem(query("status", new StringSchema(), "comma-separated: queued, in_progress, succeeded, "
                + "failed, cancelled, expired"));
        get.addParametersItem(query("created_after", new StringSchema(), "unix seconds or ISO-8601"));
        get.addParametersItem(query("created_before", new StringSchema(), "unix seconds or ISO-8601"));
        get.addParametersItem(new Parameter().in("query").name("metadata").style(Parameter.StyleEnum.DEEPOBJECT)
                .explode(true).schema(new ObjectSchema().additionalProperties(new StringSchema()))
                .description("metadata[key]=value: jobs whose metadata has all these entries"));
    }

    private static Parameter query(String name, Schema<?> schema, String description) {
        return new Parameter().in("query").name(name).required(false).schema(schema).description(description);
    }

    private static Schema<?> problemSchema() {
        ObjectSchema error = new ObjectSchema();
        error.addProperty("code", new StringSchema());
        error.addProperty("type", new StringSchema());
        error.addProperty("message", new StringSchema());
        error.addProperty("param", new StringSchema());
        ObjectSchema problem = new ObjectSchema();
        problem.addProperty("type", new StringSchema().format("uri"));
        problem.addProperty("title", new StringSchema());
        problem.addProperty("status", new Schema<Integer>().type("integer"));
        problem.addProperty("detail", new StringSchema());
        problem.addProperty("instance", new StringSchema());
        problem.addProperty("field", new StringSchema());
        problem.addProperty("error", error);
        return problem.description("RFC 9457 problem details, with an error object shaped like TheRouter's and OpenAI's");
    }

    /** Resolves a class's schema (and those it refers to) into the components, answering a reference to it. */
    private static Schema<?> schema(Class<?> type, Components components) {
        ResolvedSchema resolved = ModelConverters.getInstance(true).resolveAsResolvedSchema(new AnnotatedType(type));
        resolved.referencedSchemas.forEach(components::addSchemas);
        return new Schema<>().$ref("#/components/schemas/" + resolved.schema.getName());
    }
}
