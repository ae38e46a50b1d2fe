package com.acme.imageedit.ops;

import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.acme.imageedit.system.DeploymentSetting;
import org.springframework.beans.factory.annotation.AnnotatedBeanDefinition;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.context.annotation.ClassPathScanningCandidateComponentProvider;
import org.springframework.core.type.filter.AnnotationTypeFilter;
import org.springframework.util.ClassUtils;

/**
 * What a deployment must be able to set, read from the service itself rather than kept by hand: every
 * {@code @ConfigurationProperties} component marked {@link DeploymentSetting}, and the database connection's
 * placeholders in application.yml ({@code ${DB_HOST:…}}). Each with the environment variables that set it: the
 * relaxed-binding name ({@code jobs.public-base-url} → {@code JOBS_PUBLICBASEURL}) and the placeholder application.yml
 * reads it from, if any ({@code therouter.api-key: ${THEROUTER_API_KEY:}}).
 */
final class DeploymentSettings {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)(:[^}]*)?}");

    /** One setting: its property, whether it is a credential, and the variables that set it (any one will do). */
    record Setting(String property, boolean secret, Set<String> variables) {
    }

    private DeploymentSettings() {
    }

    static List<Setting> all() {
        Map<String, Object> yml = OpsFiles.yaml(Path.of("src/main/resources/application.yml"));
        List<Setting> settings = new ArrayList<>();
        for (Class<?> type : configurationProperties()) {
            String prefix = type.getAnnotation(ConfigurationProperties.class).prefix();
            if (prefix.isEmpty()) {
                prefix = type.getAnnotation(ConfigurationProperties.class).value();
            }
            for (RecordComponent component : type.getRecordComponents()) {
                DeploymentSetting mark = component.getAnnotation(DeploymentSetting.class);
                if (mark != null) {
                    String property = prefix + "." + kebab(component.getName());
                    Set<String> variables = new LinkedHashSet<>();
                    variables.add(property.replace("-", "").replace('.', '_').toUpperCase(Locale.ROOT));
                    placeholder(lookup(yml, property)).ifPresent(variables::add);
                    settings.add(new Setting(property, mark.secret(), variables));
                }
            }
        }
        // The database connection is Spring's own configuration (spring.r2dbc.*, spring.flyway.*), read from DB_*.
        for (String key : List.of("url", "username", "password")) {
            Matcher m = PLACEHOLDER.matcher(String.valueOf(lookup(yml, "spring.r2dbc." + key)));
            while (m.find()) {
                settings.add(new Setting("spring.r2dbc." + key + " (" + m.group(1) + ")",
                        m.group(1).contains("PASSWORD"), Set.of(m.group(1))));
            }
        }
        return settings;
    }

    private static List<Class<?>> configurationProperties() {
        ClassPathScanningCandidateComponentProvider scanner = new ClassPathScanningCandidateComponentProvider(false) {
            @Override
            protected boolean isCandidateComponent(AnnotatedBeanDefinition definition) {
                return definition.getMetadata().isIndependent();
            }
        };
        scanner.addIncludeFilter(new AnnotationTypeFilter(ConfigurationProperties.class));
        List<Class<?>> types = new ArrayList<>();
        for (BeanDefinition definition : scanner.findCandidateComponents("com.acme.imageedit")) {
            Class<?> type = ClassUtils.resolveClassName(definition.getBeanClassName(), null);
            if (type.isRecord() && !type.getName().contains(".simulator.")) {
                types.add(type);
            }
        }
        return types;
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    private static Object lookup(Map<String, Object> yml, String property) {
        Object node = yml;
        for (String part : property.split("\\.")) {
            if (!(node instanceof Map<?, ?> map)) {
                return null;
            }
            node = map.get(part);
        }
        return node;
    }

    private static Optional<String> placeholder(Object value) {
        if (value == null) {
            return Optional.empty();
        }
        Matcher m = PLACEHOLDER.matcher(String.valueOf(value));
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }
}
