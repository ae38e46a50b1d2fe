package com.acme.imageedit.webhooks;

import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** Admin: re-encrypt every stored webhook signing secret under the current key (the end of a key rotation). */
@RestController
class WebhookAdminController {

    private final SecretReencryption reencryption;

    WebhookAdminController(SecretReencryption reencryption) {
        this.reencryption = reencryption;
    }

    /** Admin only ({@code /v1/admin/**}); safe to repeat. */
    @PostMapping("/v1/admin/webhook-secrets/re-encrypt")
    Mono<ReencryptionView> reencrypt() {
        return reencryption.reencryptAll()
                .map(result -> new ReencryptionView(result.keyId(), result.reencrypted(), result.current()));
    }

    /** {@code {"key_id": …, "re_encrypted": n, "already_current": m}} */
    record ReencryptionView(String keyId, long reEncrypted, long alreadyCurrent) {
    }
}
