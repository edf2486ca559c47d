export { addon, nativeAvailable } from './addon.ts';
