package io.connectd.testbed;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import java.util.List;
import javax.enterprise.context.ApplicationScoped;
import javax.enterprise.inject.Produces;

/**
 * Stands in for the bean Apicurio's config-index Quarkus extension generates at build time (its
 * build-time artifact is not on Maven Central): the test bed registry has no dynamic settings.
 */
@ApplicationScoped
public class NoDynamicConfig {
    @Produces
    @ApplicationScoped
    DynamicConfigPropertyList dynamicConfigProperties() {
        return new DynamicConfigPropertyList(List.of());
    }
}
