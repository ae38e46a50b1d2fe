# syntax=docker/dockerfile:1
# Image Edit Proxy. Build: docker build -t image-edit-proxy:local .   (docker compose up builds it too)
# Stage 1 builds with the project's own Maven wrapper, so the image gets exactly what `./mvnw verify` tested.
FROM eclipse-temurin:17.0.15_6-jdk-jammy AS build
WORKDIR /src
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
# Dependencies in their own layer: a source change does not download the internet again.
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -ntp -q dependency:go-offline
COPY src/ src/
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -ntp -q -DskipTests package \
    && cp target/image-edit-proxy-*.jar /tmp/app.jar
# Boot's layer extraction: dependencies change rarely, the application often, so they are separate image layers.
RUN java -Djarmode=tools -jar /tmp/app.jar extract --layers --launcher --destination /extracted

# Stage 2: JRE only, no build tools, no shell tricks at start-up.
FROM eclipse-temurin:17.0.15_6-jre-jammy
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=build /extracted/dependencies/ ./
COPY --from=build /extracted/spring-boot-loader/ ./
COPY --from=build /extracted/snapshot-dependencies/ ./
COPY --from=build /extracted/application/ ./
# Container-aware heap (a share of the cgroup limit, not of the host), die on OOM so the orchestrator restarts us,
# and /tmp for multipart spill files (a writable emptyDir when the root file system is read-only).
ENV JAVA_TOOL_OPTIONS="-XX:+UseContainerSupport -XX:MaxRAMPercentage=75 -XX:InitialRAMPercentage=50 -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp" \
    LOGGING_STRUCTURED_FORMAT_CONSOLE=ecs \
    PORT=8080 \
    MANAGEMENT_PORT=8081
USER 10001:10001
# 8080 the API, 8081 health and metrics (management), 8090 the simulator (profile `simulator` only).
EXPOSE 8080 8081 8090
# No curl in a JRE image: bash's /dev/tcp asks the liveness probe on the management port; it passes only on "UP".
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8081 && printf 'GET /actuator/health/liveness HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && grep -q '\"status\":\"UP\"' <&3"]
# Exec form: the JVM is PID 1 and gets SIGTERM directly, so graceful shutdown (server.shutdown=graceful) runs.
ENTRYPOINT ["java", "org.springframework.boot.loader.launch.JarLauncher"]
