/**
 * The flash-device SPI: regions of a NOR-like flash device, bound to partitions by the device bundle.
 */
@Export
@Version("1.2.0")
package datastore.flash;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
