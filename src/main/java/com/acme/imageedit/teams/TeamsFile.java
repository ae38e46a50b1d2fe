package com.acme.imageedit.teams;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The teams file's shape, checked at start-up. Spring imports the file as configuration (application.yml's
 * {@code spring.config.import: ${teams.file:}}), so its {@code teams:} block binds to {@link TeamsProperties} like any
 * other; this check makes sure it holds nothing else, so that a misplaced or misspelt block (a root {@code team:}, a
 * {@code jobs:} setting) fails the start instead of leaving the service without teams or with settings nobody looks
 * for in a teams file.
 */
final class TeamsFile {

    static final Set<String> ALLOWED = Set.of("admin-key-hashes", "definitions");

    private TeamsFile() {
    }

    /** Throws with a message naming the file and what is wrong with it. */
    static void check(Path file) {
        Object root;
        try (Reader reader = Files.newBufferedReader(file)) {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
        } catch (IOException e) {
            throw new IllegalStateException("teams.file " + file + " cannot be read: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> top) || !top.keySet().equals(Set.of("teams"))) {
            throw new IllegalStateException("teams.file " + file + " must hold exactly one block, 'teams:', found "
                    + (root instanceof Map<?, ?> m ? m.keySet() : "no mapping"));
        }
        if (!(top.get("teams") instanceof Map<?, ?> teams) || !ALLOWED.containsAll(teams.keySet())) {
            throw new IllegalStateException("teams.file " + file + ": 'teams:' may hold only " + ALLOWED + ", found "
                    + (top.get("teams") instanceof Map<?, ?> m ? m.keySet() : "no mapping"));
        }
    }
}
