/**
 * The ROM (factory) partition as OSGi services: the partition component, its configuration and the
 * provisioning service, over the store of the embedded {@code datastore.romformat} library. Private to
 * the bundle.
 */
package datastore.rom;
