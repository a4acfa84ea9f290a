/**
 * The provider SPI: a partition of the logical store registers a {@link datastore.spi.PartitionStore} service, which the aggregating bundle consumes.
 */
@Export
@Version("1.5.0")
package datastore.spi;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
