package datastore.runtime;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Component property type for the {@code datastore.partition} service property
 * ({@link datastore.spi.PartitionStore#PARTITION}): as a single-element annotation its property name
 * is derived from the type name, {@code partition}, after the {@code datastore.} prefix.
 */
@ComponentPropertyType
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface Partition {
    String PREFIX_ = "datastore.";

    /** The partition's name ({@link datastore.Partitions}). */
    String value();
}
