package com.acme.imageedit.webhooks;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.acme.imageedit.ImageEditProxyApplication;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.flyway.autoconfigure.FlywayConnectionDetails;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcConnectionDetails;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.http.client.ReactorResourceFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A replica dies in the middle of a delivery while the receiver is down, and the delivery still arrives: replica B
 * claims it and POSTs to a receiver that never answers, B is shut down mid-request (it records nothing and keeps its
 * lease, which is all a killed process leaves behind), the receiver goes away, and the shared context's sender (the
 * "restarted service") takes the delivery over when B's lease ends, fails while the receiver is down, and delivers
 * the same message once the receiver is back.
 */
class WebhookCrashRecoveryTest extends WebhookTestSupport {

    private static final String REPLICA_B = "replica-b-hooks";

    @Autowired
    private R2dbcConnectionDetails r2dbc;

    @Autowired
    private FlywayConnectionDetails flyway;

    @Autowired
    private WebhookWorkers senderA;

    private ConfigurableApplicationContext replicaB;
    private TestReceiver receiver;

    @AfterEach
    void cleanUp() {
        if (replicaB != null) {
            replicaB.close();
        }
        if (receiver != null) {
            receiver.close();
        }
        senderA.start();
    }

    @Test
    void aDeliveryInFlightOnAReplicaThatDiesIsDeliveredByAnotherOnceTheReceiverIsBack() {
        TestReceiver hanging = TestReceiver.start().always(TestReceiver.Reply.hang());
        int port = hanging.port();
        String secret = defaultSecret();
        // Only replica B sends, so that B is the one holding the delivery when it dies.
        senderA.stop();
        replicaB = startReplicaB();

        String job = submit("webhooks: crash recovery", hanging.url("/hook"));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                .untilAsserted(() -> assertThat(hanging.forJob(job)).hasSize(1));
        String webhookId = hanging.forJob(job).get(0).header("webhook-id");
        assertThat(leasedBy(webhookId)).isEqualTo(REPLICA_B);

        replicaB.close();
        replicaB = null;
        // Dead mid-attempt: nothing recorded, the lease still B's.
        assertThat(count("select attempts from webhook_deliveries where id = '" + webhookId + "'")).isZero();
        assertThat(leasedBy(webhookId)).isEqualTo(REPLICA_B);
        assertThat(count("select count(*) from webhook_deliveries where id = '" + webhookId
                + "' and status = 'PENDING'")).isEqualTo(1);

        hanging.close();
        senderA.start();
        // A takes over after B's lease, and fails while the receiver is down.
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> count(
                "select attempts from webhook_deliveries where id = '" + webhookId + "'") >= 1);
        receiver = TestReceiver.startOn(port);

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(deliveriesOf(job)).singleElement()
                        .satisfies(d -> assertThat(d.get("status")).isEqualTo("delivered")));
        TestReceiver.Received delivered = receiver.forJob(job).get(0);
        assertThat(receiver.forJob(job)).hasSize(1);
        assertThat(delivered.header("webhook-id")).isEqualTo(webhookId);
        assertThat(delivered.body()).isEqualTo(hanging.forJob(job).get(0).body());
        assertThat(ReceiverVerifier.verify(secret, delivered)).isTrue();

        @SuppressWarnings("unchecked")
        List<Map<String, Object>> attempts = (List<Map<String, Object>>) deliveriesOf(job).get(0).get("attempts");
        assertThat(attempts).extracting(a -> a.get("worker")).doesNotContain(REPLICA_B);
        assertThat(attempts.get(attempts.size() - 1)).containsEntry("status_code", 200);
        assertThat(attempts.subList(0, attempts.size() - 1)).isNotEmpty()
                .allSatisfy(a -> assertThat((String) a.get("error")).startsWith("connection failed"));
    }

    private String leasedBy(String deliveryId) {
        return db.sql("select leased_by from webhook_deliveries where id = :id").bind("id", deliveryId)
                .map((row, meta) -> row.get(0, String.class)).one().block(Duration.ofSeconds(5));
    }

    private ConfigurableApplicationContext startReplicaB() {
        return new SpringApplicationBuilder(ImageEditProxyApplication.class)
                .profiles("test", "demo")
                .initializers(context -> {
                    context.getBeanFactory().registerSingleton("sharedR2dbc", r2dbc);
                    if (flyway != r2dbc) {
                        context.getBeanFactory().registerSingleton("sharedFlyway", flyway);
                    }
                    // Its own Netty resources: closing it must not dispose the global ones the shared context runs on.
                    ((GenericApplicationContext) context).registerBean(ReactorResourceFactory.class, () -> {
                        ReactorResourceFactory resources = new ReactorResourceFactory();
                        resources.setUseGlobalResources(false);
                        return resources;
                    });
                })
                .run("--server.port=0",
                        "--dispatch.worker-id=" + REPLICA_B,
                        "--therouter.base-url=" + simulator.baseUrl(),
                        "--therouter.api-key=test",
                        // Shut down at once with the POST still unanswered, long before its 4 s timeout.
                        "--webhooks.timeout=4s",
                        "--webhooks.shutdown-timeout=100ms");
    }
}
