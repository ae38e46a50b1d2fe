package com.acme.imageedit.support;

import org.springframework.http.MediaType;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.util.MultiValueMap;
import org.springframework.http.HttpEntity;

/** Multipart submits as TheRouter's cURL examples send them. */
public final class EditForms {

    private EditForms() {
    }

    public static MultipartBodyBuilder edit(String prompt, byte[] png) {
        MultipartBodyBuilder form = new MultipartBodyBuilder();
        form.part("model", "qwen/qwen-image-edit");
        form.part("prompt", prompt);
        form.part("image", png).filename("input.png").contentType(MediaType.IMAGE_PNG);
        return form;
    }

    public static MultiValueMap<String, HttpEntity<?>> simple(String prompt, byte[] png) {
        return edit(prompt, png).build();
    }
}
