package com.acme.imageedit.jobs;

import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /v1/models}: the model table, OpenAI-style ({@code object: list}), with each model's price and parameter
 * bounds, so that clients (and the web page) can validate before they submit.
 */
@RestController
class ModelController {

    private final JobsProperties properties;

    ModelController(JobsProperties properties) {
        this.properties = properties;
    }

    @GetMapping("/v1/models")
    ModelList models() {
        return new ModelList("list", properties.models().stream().map(m -> new ModelView(
                m.id(), "model", m.kind().name().toLowerCase(Locale.ROOT), m.priceUsd().stripTrailingZeros(),
                m.id().equals(properties.defaultModel()),
                new Bounds(m.minSeed(), m.maxSeed(), m.minSteps(), m.maxSteps(), m.minCfg(), m.maxCfg(),
                        m.minSide(), m.maxSide()))).toList());
    }

    record ModelList(String object, List<ModelView> data) {
    }

    record ModelView(String id, String object, String kind, BigDecimal priceUsd, boolean isDefault, Bounds bounds) {
    }

    record Bounds(long minSeed, long maxSeed, int minSteps, int maxSteps, double minCfg, double maxCfg, int minSide,
                  int maxSide) {
    }
}
