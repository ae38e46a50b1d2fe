package com.acme.imageedit.upstream;

import java.net.URI;
import java.time.Duration;

import com.acme.imageedit.system.DeploymentSetting;
import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * How to reach TheRouter. Public because the job machinery sizes its own buffers and deadlines from these values.
 *
 * @param baseUrl         TheRouter's origin; the simulator may override it through a {@code @Primary} {@link UpstreamAddress}
 * @param apiKey          sent as a Bearer token; blank means "send no Authorization header" (local simulator, tests)
 * @param connectTimeout  TCP/TLS connect; a failure within it is known to have happened before the request was sent
 * @param responseTimeout silence allowed while waiting for a submit or poll answer
 * @param downloadTimeout whole budget of one request of a result download, body included; each redirect hop has its
 *                        own
 * @param maxResultSize   largest result image we accept; bigger results are refused instead of buffered
 */
@Validated
@ConfigurationProperties("therouter")
public record TheRouterProperties(
        @DeploymentSetting @NotNull @DefaultValue("https://api.therouter.ai") URI baseUrl,
        @DeploymentSetting(secret = true) @DefaultValue("") String apiKey,
        @NotNull @DefaultValue("5s") Duration connectTimeout,
        @NotNull @DefaultValue("30s") Duration responseTimeout,
        @NotNull @DefaultValue("60s") Duration downloadTimeout,
        @NotNull @DefaultValue("20MB") DataSize maxResultSize) {

    /** True when an Authorization header should be sent at all. */
    public boolean hasApiKey() {
        return apiKey != null && !apiKey.isBlank();
    }

    /** Hides the key so that logging the properties cannot leak it. */
    @Override
    public String toString() {
        return "TheRouterProperties[baseUrl=" + baseUrl + ", apiKey=" + (hasApiKey() ? "***" : "<none>")
                + ", connectTimeout=" + connectTimeout + ", responseTimeout=" + responseTimeout
                + ", downloadTimeout=" + downloadTimeout + ", maxResultSize=" + maxResultSize + "]";
    }
}
