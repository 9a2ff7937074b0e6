/* The login page forgets the warden page's offline copy (the service worker's cache): on a shared
   phone the next person to log in does not see the last one's cells offline. Entries still waiting
   to be sent stay in IndexedDB, tagged with their user, and go once that user logs in again. */
(function () {
  "use strict";
  if (window.caches && window.caches.delete) {
    window.caches.delete("gridmgr-warden-v1").catch(function () { /* nothing kept */ });
  }
})();
