# An instance whose service account reads a confidential bucket, made
# reachable over SSH from the Internet by a new firewall rule.
provider "google" {
  project = "acme-prod"
}

resource "google_service_account" "app" {
  account_id = "app-vm"
}

resource "google_compute_instance" "app" {
  name         = "app-vm"
  zone         = "europe-west1-b"
  machine_type = "e2-small"
  tags         = ["ssh"]
  network_interface {
    network    = "default"
    subnetwork = "default"
    access_config {
      nat_ip = "34.1.2.3"
    }
  }
  service_account {
    email  = google_service_account.app.email
    scopes = ["cloud-platform"]
  }
  # boot_disk left out for brevity
}

# The change: SSH from anywhere to instances tagged "ssh".
resource "google_compute_firewall" "ssh" {
  name          = "allow-ssh"
  network       = "default"
  direction     = "INGRESS"
  priority      = 1000
  source_ranges = ["0.0.0.0/0"]
  target_tags   = ["ssh"]
  allow {
    protocol = "tcp"
    ports    = ["22"]
  }
}

resource "google_storage_bucket" "ledger" {
  name                        = "acme-ledger-prod"
  location                    = "EU"
  uniform_bucket_level_access = true
  labels = {
    data-classification = "confidential"
  }
}

resource "google_storage_bucket_iam_member" "app_reads" {
  bucket = google_storage_bucket.ledger.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.app.email}"
}

resource "google_secret_manager_secret" "api" {
  secret_id = "api-key"
  labels = {
    data-classification = "restricted"
  }
  replication {
    auto {}
  }
}
