package com.acme.imageedit;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class ImageEditProxyApplication {

    public static void main(String[] args) {
        SpringApplication.run(ImageEditProxyApplication.class, args);
    }
}
