package com.acme.imageedit.jobs;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.acme.imageedit.system.ApiException;
import com.acme.imageedit.system.BodiesInFlight;
import com.acme.imageedit.system.ProblemRendering;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.codec.multipart.FilePart;
import org.springframework.http.codec.multipart.FormFieldPart;
import org.springframework.http.codec.multipart.Part;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Reads a submit's multipart body into an {@link EditForm}, holding at most the configured image size of any file part
 * in memory: a larger part is refused with 413 naming its field, before it is read to the end.
 */
@Component
class EditFormReader {

    private final JobsProperties properties;

    EditFormReader(JobsProperties properties) {
        this.properties = properties;
    }

    Mono<EditForm> read(ServerWebExchange exchange) {
        MediaType contentType = exchange.getRequest().getHeaders().getContentType();
        if (contentType == null || !MediaType.MULTIPART_FORM_DATA.isCompatibleWith(contentType)) {
            return Mono.error(new ApiException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                    "Content-Type", "Content-Type must be multipart/form-data or application/json (got "
                    + (contentType == null ? "none" : contentType.toString()) + ")"));
        }
        if (contentType.getParameter("boundary") == null) {
            return Mono.error(ApiException.badRequest("Content-Type",
                    "multipart/form-data needs a boundary parameter"));
        }
        return exchange.getMultipartData()
                .onErrorMap(e -> !(e instanceof ApiException) && !ProblemRendering.isClientTimeout(e)
                        && !BodiesInFlight.isBusy(e), this::multipartFailure)
                .flatMapMany(parts -> Flux.fromIterable(parts.values()).flatMapIterable(list -> list))
                .concatMap(this::readPart)
                .collectList()
                .map(EditFormReader::toForm);
    }

    private ApiException multipartFailure(Throwable failure) {
        if (failure instanceof DataBufferLimitException limit) {
            // Only file parts spill to disk, and the only file part we take is the image.
            boolean filePart = String.valueOf(limit.getMessage()).toLowerCase().contains("disk");
            return new ApiException(HttpStatus.PAYLOAD_TOO_LARGE, "request_too_large", filePart ? "image" : "body",
                    filePart ? "image is larger than " + properties.maxImageSize().toBytes() + " bytes"
                            : "a multipart field is too large: " + limit.getMessage());
        }
        return ApiException.badRequest("body", "malformed multipart body: " + failure.getMessage());
    }

    private Mono<Object> readPart(Part part) {
        if (part instanceof FilePart file) {
            long limit = properties.maxImageSize().toBytes();
            return DataBufferUtils.join(file.content(), (int) Math.min(Integer.MAX_VALUE, limit))
                    .map(buffer -> {
                        byte[] bytes = new byte[buffer.readableByteCount()];
                        buffer.read(bytes);
                        DataBufferUtils.release(buffer);
                        return (Object) new EditForm.Upload(file.name(), bytes);
                    })
                    .defaultIfEmpty(new EditForm.Upload(file.name(), new byte[0]))
                    .onErrorMap(DataBufferLimitException.class, e -> new ApiException(HttpStatus.PAYLOAD_TOO_LARGE,
                            "image_too_large", file.name(), file.name() + " is larger than "
                            + properties.maxImageSize().toBytes() + " bytes"));
        }
        if (part instanceof FormFieldPart field) {
            return Mono.just(new Field(field.name(), field.value()));
        }
        // A part without a file name and that is not a plain field: drain it so the connection stays usable.
        return part.content().map(DataBufferUtils::release).then(Mono.just(new Field(part.name(), "")));
    }

    private static EditForm toForm(List<Object> parts) {
        Map<String, List<String>> fields = new LinkedHashMap<>();
        List<EditForm.Upload> uploads = new ArrayList<>();
        for (Object part : parts) {
            if (part instanceof Field f) {
                fields.computeIfAbsent(f.name(), k -> new ArrayList<>()).add(f.value());
            } else {
                uploads.add((EditForm.Upload) part);
            }
        }
        return new EditForm(fields, uploads);
    }

    private record Field(String name, String value) {
    }
}
