package com.acme.imageedit.jobs;

import java.math.BigDecimal;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.stereotype.Component;

/** The model table's prices, for the spend meters outside this package: which models exist and what each costs. */
@Component
public class ModelPrices {

    private final Map<String, BigDecimal> prices;

    ModelPrices(JobsProperties properties) {
        Map<String, BigDecimal> byModel = new LinkedHashMap<>();
        properties.models().forEach(model -> byModel.put(model.id(), model.priceUsd()));
        this.prices = Collections.unmodifiableMap(byModel);
    }

    /** Price in USD by model id, in the order of the configuration. */
    public Map<String, BigDecimal> byModel() {
        return prices;
    }

    /** What the cheapest job costs: a budget with less than this left can take no job at all. */
    public BigDecimal cheapest() {
        return prices.values().stream().min(BigDecimal::compareTo).orElse(BigDecimal.ZERO);
    }
}
