package com.acme.imageedit.system;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a configuration property that every deployment sets for itself (an address, a credential, the teams file):
 * the Helm chart wires each one, from its ConfigMap or, when {@link #secret()}, from a Secret, and never the other way
 * round. HelmManifestsTest finds these marks on the {@code @ConfigurationProperties} records and checks the rendered
 * chart against them, so the list lives here, beside the settings, and nowhere else.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface DeploymentSetting {

    /** A credential: it must come from a Secret and must never appear in a ConfigMap, a log line or a metric tag. */
    boolean secret() default false;
}
