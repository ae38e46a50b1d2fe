package com.acme.imageedit;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ./mvnw spring-boot:test-run} starts the one class with a {@code main} in test scope; a second one (a benchmark
 * driver, say) makes it refuse to start. Benchmark drivers expose {@code run(String[])} instead.
 */
class TestRunMainClassTest {

    @Test
    void testScopeHasExactlyOneMainClassAndItIsTheLocalRunner() throws IOException {
        Path classes = Path.of("target", "test-classes");
        List<String> mains;
        try (Stream<Path> files = Files.walk(classes)) {
            mains = files.filter(f -> f.toString().endsWith(".class") && !f.getFileName().toString().contains("$"))
                    .map(f -> classes.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", ""))
                    .filter(TestRunMainClassTest::hasMain)
                    .toList();
        }
        assertThat(mains).containsExactly(TestImageEditProxyApplication.class.getName());
    }

    private static boolean hasMain(String className) {
        try {
            Class<?> type = Class.forName(className, false, TestRunMainClassTest.class.getClassLoader());
            Method main = type.getDeclaredMethod("main", String[].class);
            return Modifier.isStatic(main.getModifiers()) && Modifier.isPublic(main.getModifiers());
        } catch (NoSuchMethodException | ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
