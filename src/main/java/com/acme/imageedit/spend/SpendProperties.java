package com.acme.imageedit.spend;

import java.time.Duration;

import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * @param budgetGaugeRefresh how often the remaining-budget gauges are read from the database (one small query)
 */
@Validated
@ConfigurationProperties("spend")
record SpendProperties(@DefaultValue("30s") @NotNull Duration budgetGaugeRefresh) {
}
