package com.acme.imageedit.jobs;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.BodyInserters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** unsigned_urls: signed, expiring links to the stored result that need no key, and refuse any change. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SignedLinksTest extends IntegrationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    private String id;
    private String link;

    @BeforeAll
    void aSucceededJob() {
        id = (String) http().post().uri("/v1/images/edits?async=true")
                .body(BodyInserters.fromMultipartData(EditForms.simple("link me", TestImages.png(256, 256))))
                .exchange().expectStatus().isAccepted().expectBody(JSON).returnResult().getResponseBody().get("id");
        await().atMost(Duration.ofSeconds(20)).until(() -> http().get().uri("/v1/jobs/{id}", id).exchange()
                .expectBody(JSON).returnResult().getResponseBody().get("unsigned_urls") != null);
        @SuppressWarnings("unchecked")
        List<String> urls = (List<String>) http().get().uri("/v1/jobs/{id}", id).exchange()
                .expectBody(JSON).returnResult().getResponseBody().get("unsigned_urls");
        link = urls.get(0);
    }

    @Test
    void theLinkFetchesTheStoredResultWithoutAKey() {
        byte[] viaLink = http(null).get().uri(link).exchange().expectStatus().isOk()
                .expectHeader().contentType(MediaType.IMAGE_PNG)
                .expectBody(byte[].class).returnResult().getResponseBody();
        byte[] viaApi = http().get().uri("/v1/jobs/{id}/content", id).exchange().expectStatus().isOk()
                .expectBody(byte[].class).returnResult().getResponseBody();
        assertThat(viaLink).isEqualTo(viaApi);
        // A wrong key on a public link is ignored, not refused.
        http("not-a-key").get().uri(link).exchange().expectStatus().isOk();
    }

    @Test
    void aModifiedLinkIsForbidden() {
        String signature = link.substring(link.indexOf("signature=") + "signature=".length());
        String flipped = (signature.charAt(0) == 'A' ? "B" : "A") + signature.substring(1);
        refused(link.replace(signature, flipped), 403);
        long expires = Long.parseLong(link.replaceAll(".*expires=(\\d+).*", "$1"));
        refused(link.replace("expires=" + expires, "expires=" + (expires + 86_400)), 403);
        refused(link.replace(id, "img_bbbbbbbbbbbbbbbbbbbbbbbbbb"), 403);
        refused(link.substring(0, link.indexOf("&signature=")), 403);
    }

    @Test
    void anExpiredLinkIsGone() throws Exception {
        long past = Instant.now().minusSeconds(60).getEpochSecond();
        Mac mac = Mac.getInstance("HmacSHA256");
        // No jobs.link-secret in the test profiles: the key every replica shares is the one kept in PostgreSQL.
        byte[] sharedKey = db.sql("select secret from service_keys where purpose = 'result-links' and retires_at is null")
                .map((row, meta) -> row.get("secret", byte[].class)).one().block(Duration.ofSeconds(5));
        mac.init(new SecretKeySpec(sharedKey, "HmacSHA256"));
        String signature = Base64.getUrlEncoder().withoutPadding()
                .encodeToString(mac.doFinal((id + "\n" + past).getBytes(StandardCharsets.UTF_8)));
        refused(baseUrl() + "/files/results/" + id + "?expires=" + past + "&signature=" + signature, 410);
    }

    private void refused(String url, int status) {
        http(null).get().uri(url).exchange().expectStatus().isEqualTo(status)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON);
    }
}
