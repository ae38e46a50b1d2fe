package com.acme.imageedit.jobs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.support.TestImages;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.core.io.ClassPathResource;
import org.springframework.http.MediaType;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Both cURL submit-and-poll loops of TheRouter's model page, copied verbatim (the generation call first, as the page
 * recommends it, then the edit), run against the proxy with only the host and the key changed, and print a URL that
 * serves the result.
 */
class TheRouterCurlExampleTest extends IntegrationTest {

    @TempDir
    Path dir;

    @BeforeEach
    void needsTheExamplesTools() throws Exception {
        assumeTrue(onPath("curl") && onPath("python3"), "needs curl and python3, as TheRouter's examples do");
    }

    @Test
    void theModelPagesRecommendedGenerationLoopWorksUnchanged() throws Exception {
        List<String> output = run("therouter-generations-example.sh");

        String id = output.get(0).substring("submitted: ".length());
        // Forwarded as the page sends it: TheRouter's generations endpoint, with the page's (edit) model, no image.
        assertThat(count("select count(*) from jobs where id = '" + id + "' and operation = 'GENERATE'"
                + " and model = 'qwen/qwen-image-edit' and status = 'SUCCEEDED'")).isEqualTo(1);
        assertThat(count("select count(*) from job_images where role = 'INPUT' and job_id = '" + id + "'")).isZero();
        assertResultServed(output);
    }

    @Test
    void theModelPagesEditLoopWorksUnchanged() throws Exception {
        Files.write(dir.resolve("input.png"), TestImages.png(512, 512));

        assertResultServed(run("therouter-edits-example.sh"));
    }

    /** Runs a page example with TheRouter's host replaced by ours and team demo-a's key; answers what it printed. */
    private List<String> run(String example) throws Exception {
        String script = new ClassPathResource(example).getContentAsString(StandardCharsets.UTF_8)
                .replace("https://api.therouter.ai", baseUrl());
        Files.writeString(dir.resolve("example.sh"), script);

        ProcessBuilder bash = new ProcessBuilder("bash", "example.sh").directory(dir.toFile()).redirectErrorStream(true);
        bash.environment().put("THE_ROUTER_API_KEY", TEAM_A_KEY);
        Process process = bash.start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("the loop ends").isTrue();
        List<String> output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                .toList();
        assertThat(process.exitValue()).as(String.join("\n", output)).isZero();
        assertThat(output.get(0)).startsWith("submitted: img_");
        assertThat(output).contains("status: succeeded");
        return output;
    }

    private void assertResultServed(List<String> output) {
        String url = output.get(output.size() - 1);
        // TheRouter's unsigned_urls are pre-signed: ours are too, and work without the key.
        assertThat(url).startsWith(baseUrl() + "/files/results/img_").contains("signature=");
        byte[] image = http(null).get().uri(url).exchange().expectStatus().isOk()
                .expectHeader().contentType(MediaType.IMAGE_PNG)
                .expectBody(byte[].class).returnResult().getResponseBody();
        assertThat(TestImages.decode(image).getWidth()).isPositive();
    }

    private static boolean onPath(String command) throws IOException, InterruptedException {
        return new ProcessBuilder("sh", "-c", "command -v " + command).start().waitFor() == 0;
    }
}
